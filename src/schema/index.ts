import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
import './plan.js';
import './user.js';
import './account.js';
import './api-key.js';
import './session.js';
import './viewer.js';
import './message-preview.js';
import '../resolvers/auth.js';
import '../resolvers/api-key.js';
import '../resolvers/account.js';
import '../resolvers/viewer.js';
import '../resolvers/message-preview.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = builder.toSchema({ sortSchema: true });
