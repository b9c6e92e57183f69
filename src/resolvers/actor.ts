import type { Actor } from '../domain/auth/actor.js';
import { NotAuthenticatedError } from '../domain/errors.js';
import type { Context } from '../schema/context.js';

/** Fields guarded by scope-auth have an actor; this narrows the type for the domain call. */
export function requireActor(context: Context): Actor {
  if (!context.actor) throw new NotAuthenticatedError();
  return context.actor;
}
