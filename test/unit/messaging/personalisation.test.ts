import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SENDING_RULES } from '../../../src/domain/messaging/default-sending-rules.js';
import { smartEncode } from '../../../src/domain/messaging/encoding.js';
import { templateWithOptOutMention, withOptOutMention } from '../../../src/domain/messaging/opt-out.js';
import { compileTemplate, renderCounted, renderTemplate } from '../../../src/domain/messaging/personalisation.js';
import { countSegments } from '../../../src/domain/messaging/segments.js';

const dynamicFields = ['City', 'loyalty_points', 'Agence', 'rdv', 'offre'];

describe('compileTemplate + renderTemplate', () => {
  it.each<[string, Record<string, string | null>, string]>([
    ['Bonjour {firstname} {lastname}', { firstname: 'Zoé', lastname: 'Lefèvre' }, 'Bonjour Zoé Lefèvre'],
    ['Bonjour {firstname|Client}', {}, 'Bonjour Client'],
    ['Bonjour {firstname|Client}', { firstname: '' }, 'Bonjour Client'],
    ['Bonjour {firstname|Client}', { firstname: '  ' }, 'Bonjour Client'],
    ['Bonjour {firstname|Client}', { firstname: null }, 'Bonjour Client'],
    ['Bonjour {firstname|Client}', { firstname: 'Anaïs' }, 'Bonjour Anaïs'],
    ['Bonjour {firstname},', {}, 'Bonjour ,'],
    ['Bonjour {firstname|cher client}!', {}, 'Bonjour cher client!'],
    ['{ FirstName } à {city}', { firstname: 'Léa', City: 'Nîmes' }, 'Léa à Nîmes'],
    ['{CITY|Paris}', {}, 'Paris'],
    ['Vos points: {loyalty_points|0}', { loyalty_points: '1 250' }, 'Vos points: 1 250'],
    ['Code {code}, lien {link}', { code: '482913', link: 'https://s.example/x1' }, 'Code 482913, lien https://s.example/x1'],
    ['JSON {{"a": 1}}', {}, 'JSON {"a": 1}'],
    ['{{firstname}}', { firstname: 'Zoé' }, '{firstname}'],
    ['a } b', {}, 'a } b'],
    ['', {}, ''],
    ['No placeholder at all', {}, 'No placeholder at all'],
  ])('%j with %j renders %j', (source, values, expected) => {
    const template = compileTemplate(source, { dynamicFields });
    expect(template.problems).toEqual([]);
    expect(renderTemplate(template, values)).toBe(expected);
  });

  it('lists the fields used once, in canonical spelling', () => {
    const template = compileTemplate('{firstname} {CITY} {firstname|x} {link}', { dynamicFields });
    expect(template.fields).toEqual(['firstname', 'City', 'link']);
  });

  it('compiles to alternating literal and field pieces', () => {
    expect(compileTemplate('Hi {firstname|you}, see {link}', {}).pieces).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'field', field: 'firstname', fallback: 'you' },
      { kind: 'text', text: ', see ' },
      { kind: 'field', field: 'link', fallback: '' },
    ]);
  });
});

describe('template problems', () => {
  it('reports an unknown placeholder with its position and keeps it visible', () => {
    const template = compileTemplate('Bonjour {prenom}, à {city}', { dynamicFields: ['city'] });
    expect(template.problems).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_PLACEHOLDER', placeholder: '{prenom}', index: 8, message: expect.stringContaining('{firstname}') }),
    ]);
    expect(renderTemplate(template, { city: 'Lyon' })).toBe('Bonjour {prenom}, à Lyon');
  });

  it('a dynamic field of another account is unknown', () => {
    expect(compileTemplate('{city}', { dynamicFields: [] }).problems[0]?.code).toBe('UNKNOWN_PLACEHOLDER');
  });

  it.each(['Bonjour {firstname', 'Promo {firstname {lastname}', '{'])('%j has an unclosed placeholder', (source) => {
    expect(compileTemplate(source).problems.map((p) => p.code)).toContain('UNCLOSED_PLACEHOLDER');
  });

  it('{} is an unknown (empty) placeholder', () => {
    expect(compileTemplate('a {} b').problems.map((p) => p.code)).toEqual(['UNKNOWN_PLACEHOLDER']);
  });
});

describe('personalisation: properties', () => {
  const literal = fc.string().map((s) => s.replace(/[{}]/g, ''));
  it('a template without braces renders to itself', () => {
    fc.assert(
      fc.property(literal, (text) => {
        expect(renderTemplate(compileTemplate(text), {})).toBe(text);
      }),
    );
  });

  it('rendering equals substituting each placeholder by its value or default', () => {
    const value = fc.option(fc.string().map((s) => s.replace(/[{}]/g, '')), { nil: undefined });
    fc.assert(
      fc.property(literal, literal, literal, value, (a, b, fallback, firstname) => {
        const safeFallback = fallback.replace(/\|/g, '');
        const source = `${a}{firstname|${safeFallback}}${b}`;
        const expected = `${a}${firstname === undefined || firstname.trim() === '' ? safeFallback : firstname}${b}`;
        expect(renderTemplate(compileTemplate(source), { firstname })).toBe(expected);
      }),
    );
  });
});

describe('renderCounted (render and count without scanning the literals again)', () => {
  const fieldNames = ['firstname', 'lastname', 'City'];
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('Bonjour ', ', votre code ', ' à ', '-20€ ', 'prête ', 'x'.repeat(150), 'Ж'.repeat(40), '🎂', '’', ' – ', '{{', '}}', '\n') },
    { weight: 3, arbitrary: fc.constantFrom('{firstname}', '{lastname|Client}', '{CITY|Paris}', '{firstname|Chère cliente}') },
  );
  const value = fc.option(fc.constantFrom('Zoé', 'François', 'Anaïs 🎉', 'Ђорђе', '', '  ', 'x'.repeat(80), '{€}', '\uD83D', '\uDE00'), { nil: undefined });
  const values = fc.record({ firstname: value, lastname: value, City: value });

  it('gives the text and count of renderTemplate + countSegments', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), values, (pieces, recipient) => {
        const template = compileTemplate(pieces.join(''), { dynamicFields: fieldNames });
        const rendered = renderTemplate(template, recipient);
        expect(renderCounted(template, recipient)).toEqual({ text: rendered, count: countSegments(rendered) });
      }),
      { numRuns: 400 },
    );
  });

  it('with smart encoding, gives the text and count of smartEncode on the rendered text', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), values, (pieces, recipient) => {
        const template = compileTemplate(pieces.join(''), { dynamicFields: fieldNames });
        const encoded = smartEncode(renderTemplate(template, recipient)).text;
        expect(renderCounted(template, recipient, { smartEncoding: true })).toEqual({ text: encoded, count: countSegments(encoded) });
      }),
      { numRuns: 400 },
    );
  });

  it('a template with the opt-out mention renders like appending it to the message', () => {
    const source = 'Soldes {firstname|Client} -20€ {CITY}';
    const template = compileTemplate(templateWithOptOutMention(source, 'MARKETING', 'FR', DEFAULT_SENDING_RULES), { dynamicFields: fieldNames });
    const recipient = { firstname: 'Zoé', City: 'Nîmes' };
    const expected = withOptOutMention(renderTemplate(compileTemplate(source, { dynamicFields: fieldNames }), recipient), 'MARKETING', 'FR', DEFAULT_SENDING_RULES);
    expect(renderCounted(template, recipient).text).toBe(expected);
    expect(expected).toBe('Soldes Zoé -20€ Nîmes\nSTOP au 30101');
  });
});
