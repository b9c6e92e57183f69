import { DateTimeResolver } from 'graphql-scalars';
import { GraphQLError, Kind } from 'graphql';
import { canonicalDecimal } from '../domain/decimals.js';
import { builder } from './builder.js';

builder.addScalarType('DateTime', DateTimeResolver);

/** A scalar carried as a string whose rules the domain checks, so that a bad value comes back
 * as a typed validation error naming the field instead of a bare parse failure. */
function stringScalar(name: 'Email' | 'Phone', description: string, maxLength: number) {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string') throw new GraphQLError(`${name} must be a string`);
    if (value.length > maxLength) throw new GraphQLError(`${name} must be at most ${maxLength} characters`);
    return value;
  };
  builder.scalarType(name, {
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a string`);
      return parse(ast.value);
    },
  });
}

stringScalar('Email', 'An e-mail address. Returned normalised to lower case.', 254);
stringScalar(
  'Phone',
  'A phone number. Returned in E.164 (`+33612345678`); accepted as typed (international or national format).',
  40,
);

const DECIMAL = /^-?\d{1,12}(\.\d{1,6})?$/;

builder.scalarType('Decimal', {
  description:
    'An exact decimal amount as a string (euros, up to 6 decimals), never a float. Returned exact, with at least 2 decimals and no trailing zero beyond them: "0.045", "10.00", "0.50".',
  serialize: (value) => canonicalDecimal(typeof value === 'string' ? value : value.toFixed()),
  parseValue: (value) => {
    if (typeof value !== 'string' || !DECIMAL.test(value)) throw new GraphQLError('Decimal must be a string like "12.045"');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || !DECIMAL.test(ast.value)) throw new GraphQLError('Decimal must be a string like "12.045"');
    return ast.value;
  },
});
