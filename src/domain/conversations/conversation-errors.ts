import { DomainError } from '../errors.js';

/** A closed conversation takes no reply: reopen it by starting the conversation again. */
export class ConversationClosedError extends DomainError {
  readonly code = 'CONVERSATION_CLOSED';
  constructor(readonly conversationId: string) {
    super('This conversation is closed: start it again to write to this contact.');
  }
}

/** The agent already has as many open conversations as their capacity allows. */
export class AgentAtCapacityError extends DomainError {
  readonly code = 'AGENT_AT_CAPACITY';
  constructor(
    readonly userId: string,
    readonly capacity: number,
    readonly openConversations: number,
  ) {
    super(
      `This agent already has ${openConversations} open conversation(s) and takes at most ${capacity}: ` +
        'close one of theirs, choose another agent, or raise their capacity.',
    );
  }
}
