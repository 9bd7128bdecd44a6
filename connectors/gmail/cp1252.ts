/**
 * Node 20's TextDecoder decodes `windows-1252` (and the latin1 labels WHATWG aliases to it) as
 * strict ISO-8859-1, so 0x80–0x9F come out as C1 control characters instead of “ ” € – … .
 * Real text never contains C1 controls, so mapping them back is safe for any charset.
 */
const C1_TO_CP1252: Record<number, string> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰',
  0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ', 0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•',
  0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›', 0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};

export function fixC1(text: string): string {
  return /[\u0080-\u009f]/.test(text) ? text.replace(/[\u0080-\u009f]/g, (c) => C1_TO_CP1252[c.charCodeAt(0)] ?? '') : text;
}
