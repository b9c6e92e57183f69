import { DomainError } from '../errors.js';

/** A closed conversation takes no reply: reopen it by starting the conversation again. */
export class ConversationClosedError extends DomainError {
  readonly code = 'CONVERSATION_CLOSED';
  constructor(readonly conversationId: string) {
    super('This conversation is closed: start it again to write to this contact.');
  }
}
