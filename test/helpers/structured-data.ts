/** One SD-ELEMENT: its SD-ID and its params in order, values unescaped. */
export interface SdElement {
  id: string;
  params: [string, string][];
}

/**
 * Parses RFC 5424 STRUCTURED-DATA (`-` or `[id name="value" …]…`), written from the RFC's grammar
 * rather than from the formatter under test. In a PARAM-VALUE a backslash escapes `"`, `\` and `]`;
 * before any other character it stands for itself (§6.3.3). Throws on text that breaks the grammar.
 */
export function parseStructuredData(text: string): SdElement[] {
  if (text === '-') return [];
  const elements: SdElement[] = [];
  let at = 0;
  const expect = (char: string): void => {
    if (text[at] !== char) throw new Error(`expected ${char} at ${at} of ${text.slice(0, at + 20)}…`);
    at += 1;
  };
  const name = (): string => {
    const start = at;
    while (at < text.length && !' =]"'.includes(text.charAt(at))) at += 1;
    if (at === start) throw new Error(`expected an SD-NAME at ${at}`);
    return text.slice(start, at);
  };
  while (at < text.length) {
    expect('[');
    const element: SdElement = { id: name(), params: [] };
    while (text[at] === ' ') {
      at += 1;
      const param = name();
      expect('=');
      expect('"');
      let value = '';
      while (text[at] !== '"') {
        if (at >= text.length) throw new Error('unterminated PARAM-VALUE');
        const char = text.charAt(at);
        const next = text.charAt(at + 1);
        if (char === '\\' && '"\\]'.includes(next) && next !== '') {
          value += next;
          at += 2;
        } else {
          value += char;
          at += 1;
        }
      }
      expect('"');
      element.params.push([param, value]);
    }
    expect(']');
    elements.push(element);
  }
  return elements;
}

/** The params of the element `id` as an object (the last value of a repeated name); throws when absent. */
export function sdParams(elements: readonly SdElement[], id: string): Record<string, string> {
  const element = elements.find((candidate) => candidate.id === id);
  if (element === undefined)
    throw new Error(`no SD-ELEMENT ${id} in ${elements.map((e) => e.id).join(', ')}`);
  return Object.fromEntries(element.params);
}
