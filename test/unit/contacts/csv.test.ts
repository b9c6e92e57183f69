import { describe, expect, it } from 'vitest';
import { detectDelimiter, detectEncoding, spreadsheetSafe } from '../../../src/domain/contacts/csv.js';
import { normaliseImportRow, resolveMapping } from '../../../src/domain/contacts/import-rows.js';

describe('detectEncoding', () => {
  it.each([
    ['UTF-8', Buffer.from('phone,prénom\n'), 'UTF-8'],
    ['UTF-8 with BOM', Buffer.from('\uFEFFphone,prénom\n'), 'UTF-8 with BOM'],
    ['Latin-1', Buffer.from('phone,prénom\n', 'latin1'), 'ISO-8859-1'],
    ['ASCII', Buffer.from('phone\n'), 'UTF-8'],
  ])('%s', (_name, bytes, expected) => {
    expect(detectEncoding(bytes)).toMatchObject({ ok: true, encoding: expected });
  });

  it.each([
    ['empty', new Uint8Array(), /empty/],
    ['UTF-16', new Uint8Array([0xff, 0xfe, 0x41, 0x00]), /UTF-16/],
    ['binary', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), /binary/],
  ])('refuses %s', (_name, bytes, message) => {
    const result = detectEncoding(bytes);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['phone,first,last', ','],
    ['phone;first;last', ';'],
    ['phone\tfirst', '\t'],
    ['"a,b";c;d', ';'],
    ['phone', ','],
  ])('%j -> %j', (line, delimiter) => expect(detectDelimiter(line)).toBe(delimiter));
});

describe('spreadsheetSafe', () => {
  it.each([
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+33612345678', "'+33612345678"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['Jean', 'Jean'],
    ['', ''],
  ])('%j -> %j', (value, safe) => expect(spreadsheetSafe(value)).toBe(safe));
});

describe('import rows', () => {
  const { mapping } = resolveMapping(['Téléphone', 'Prénom', 'Nom', 'Ville', 'Other'], null, [{ position: 2, name: 'Ville' }]);
  const context = { mapping: mapping!, fieldPositions: [2], listCallingCode: '33' };

  it('maps columns by their header names', () => {
    expect(mapping).toEqual({ number: 0, firstName: 1, lastName: 2, tags: null, fields: [{ column: 3, name: 'Ville' }] });
  });

  it('names the columns when none holds numbers', () => {
    const result = resolveMapping(['a', 'b'], null, []);
    expect(result.mapping).toBeNull();
    expect(result.problems[0]).toMatch(/No column holds phone numbers.*"a", "b"/);
  });

  it.each([
    [['06 12 34 56 78', ' Zoé ', '', 'Paris'], { ok: true, row: { number: '+33612345678', callingCode: '33', firstName: 'Zoé', lastName: null, fields: [null, 'Paris', null, null, null], tags: null } }],
    [['0033612345678', 'A', 'B', ''], { ok: true, row: { number: '+33612345678' } }],
    [['abc', 'A'], { ok: false, reason: 'NOT_A_NUMBER', value: 'abc' }],
    [['+447400123456', 'A'], { ok: false, reason: 'OTHER_COUNTRY' }],
    [['0612345678', 'A', 'B', 'x'.repeat(101)], { ok: false, reason: 'VALUE_TOO_LONG' }],
    [['0612', 'A'], { ok: false, reason: 'TOO_SHORT' }],
  ])('%j', (record, expected) => {
    expect(normaliseImportRow(record, context)).toMatchObject(expected);
  });

  it('refuses national numbers without a default prefix', () => {
    expect(normaliseImportRow(['0612345678'], { ...context, listCallingCode: null })).toMatchObject({ ok: false, reason: 'NO_COUNTRY' });
  });
});
