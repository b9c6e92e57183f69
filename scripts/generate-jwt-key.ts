import { generateSigningJwk } from '../src/domain/auth/access-tokens.js';

// Prints a new private signing key for JWT_PRIVATE_KEYS. To rotate: prepend it to the array,
// deploy, and remove the old key after one access-token lifetime.
console.log(JSON.stringify([await generateSigningJwk()]));
