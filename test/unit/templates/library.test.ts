import { describe, expect, it } from 'vitest';
import { TEMPLATE_LIBRARY } from '../../../src/domain/templates/library.js';
import { summariseTemplate, templateTextProblems } from '../../../src/domain/templates/templates.js';

describe('template library', () => {
  it('has unique ids that say their language', () => {
    const ids = TEMPLATE_LIBRARY.map((template) => template.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const template of TEMPLATE_LIBRARY) expect(template.id.startsWith(`${template.language.toLowerCase()}-`)).toBe(true);
  });

  it.each(TEMPLATE_LIBRARY.map((template) => [template.id, template.text]))('%s is valid in an account without dynamic fields and fits in two SMS', (_id, text) => {
    expect(templateTextProblems(text, [])).toEqual([]);
    expect(summariseTemplate(text, []).length.segments).toBeLessThanOrEqual(2);
  });
});

describe('template text rules', () => {
  it.each([
    ['Bonjour {firstname}', ['City'], []],
    ['Bonjour {city|} !', ['City'], []],
    ['Bonjour {prenom} {ville}', ['City'], ['Unknown placeholders {prenom}, {ville}']],
    ['Bonjour {firstname', [], ['never closed']],
    ['   ', [], ['empty']],
    ['x'.repeat(1531), [], ['11 SMS']],
  ] as const)('%j with fields %j', (text, fields, expected) => {
    const problems = templateTextProblems(text, fields);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((fragment, index) => expect(problems[index]?.message).toContain(fragment));
  });

  it('counts what the text takes with placeholders at their defaults', () => {
    expect(summariseTemplate('{firstname|Madame}, à demain', [])).toMatchObject({ placeholders: ['firstname'], length: { encoding: 'GSM7', characters: 16, segments: 1 } });
  });
});
