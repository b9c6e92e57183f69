/** Live events of conversations, published after the transaction that made them true. */
import { publishEvent } from '../../events/bus.js';
import { MESSAGE_RECEIVED_TEXT_BYTES, type EventPayloads } from '../../events/channels.js';
import { conversationEventAudience } from './visibility.js';

export type ConversationChange = EventPayloads['conversationUpdated']['change'];
export type ConversationUpdate = Omit<EventPayloads['conversationUpdated'], 'audience'>;

export function publishConversationUpdates(updates: readonly ConversationUpdate[]): void {
  for (const update of updates) {
    publishEvent('conversationUpdated', update.accountId, {
      ...update,
      audience: conversationEventAudience(update.assignedUserId, update.previousAssignedUserId, update.fromQueue === true),
    });
  }
}

export interface MessageReceived {
  accountId: string;
  conversationId: string;
  inboundMessageId: string;
  assignedUserId: string | null;
  text: string;
  optOut: boolean;
  receivedAt: Date;
}

export function publishMessagesReceived(messages: readonly MessageReceived[]): void {
  for (const message of messages) {
    publishEvent('messageReceived', message.accountId, {
      ...message,
      text: Buffer.byteLength(message.text) <= MESSAGE_RECEIVED_TEXT_BYTES ? message.text : null,
      receivedAt: message.receivedAt.toISOString(),
      audience: conversationEventAudience(message.assignedUserId),
    });
  }
}
