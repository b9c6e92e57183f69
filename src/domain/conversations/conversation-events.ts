/** Live events of conversations, published after the transaction that made them true. */
import { publishEvent } from '../../events/bus.js';
import type { EventPayloads } from '../../events/channels.js';

export type ConversationChange = EventPayloads['conversationUpdated']['change'];
export type ConversationUpdate = EventPayloads['conversationUpdated'];

export function publishConversationUpdates(updates: readonly ConversationUpdate[]): void {
  for (const update of updates) publishEvent('conversationUpdated', update.accountId, update);
}

export function publishMessagesReceived(messages: readonly EventPayloads['messageReceived'][]): void {
  for (const message of messages) publishEvent('messageReceived', message.accountId, message);
}
