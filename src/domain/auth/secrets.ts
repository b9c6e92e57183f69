import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { config } from '../../config.js';

/** A random URL-safe token of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A numeric code of `length` digits, uniformly drawn. */
export function randomDigits(length: number): string {
  let code = '';
  for (let index = 0; index < length; index++) code += randomInt(10).toString();
  return code;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Keyed hash for short secrets (confirmation codes): useless without the server's secret. */
export function keyedHash(value: string): string {
  return createHmac('sha256', codeHashSecret()).update(value).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

let cachedSecret: string | undefined;

/** From configuration, or (development and tests) generated once and kept under DATA_DIR. */
function codeHashSecret(): string {
  cachedSecret ??= config.auth.codeHashSecret ?? readOrCreateFile(config.auth.codeSecretFile, () => randomToken(48));
  return cachedSecret;
}

/** Reads a generated secret, creating it first; `wx` makes concurrent first starts agree. */
export function readOrCreateFile(file: string, create: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, create(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8');
}
