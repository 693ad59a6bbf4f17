/**
 * The Unicode names of the 128 ASCII characters, for `\N{name}` in Python string literals (pyString.ts).
 *
 * Why only these: every value the readers and the analysis compare strings with (loss options, reductions, dtype
 * codes, keys of a header) is ASCII, so these names decode every `\N{…}` that can spell one, exactly as CPython
 * does. The full table (~35,000 names plus the algorithmic CJK and Hangul ones, about 1 MB) would grow every
 * bundle for characters no such value holds, and it is tied to one Unicode version where each Python has its own;
 * the ASCII names and aliases are the same in every Python 3. Any other name is reported as not decoded, never
 * guessed.
 *
 * Names are `unicodedata.name` for U+0020–U+007E; aliases are the formal aliases of NameAliases.txt for ASCII
 * code points (the C0 controls, DELETE and SP have no name but aliases), which CPython's `\N{…}` accepts too.
 * Matching ignores ASCII case, as CPython's does. test/fixtures/python-strings/ holds every one against CPython.
 */

const PUNCTUATION: readonly (readonly [string, string])[] = [
  [' ', 'SPACE'], ['!', 'EXCLAMATION MARK'], ['"', 'QUOTATION MARK'], ['#', 'NUMBER SIGN'], ['$', 'DOLLAR SIGN'],
  ['%', 'PERCENT SIGN'], ['&', 'AMPERSAND'], ["'", 'APOSTROPHE'], ['(', 'LEFT PARENTHESIS'], [')', 'RIGHT PARENTHESIS'],
  ['*', 'ASTERISK'], ['+', 'PLUS SIGN'], [',', 'COMMA'], ['-', 'HYPHEN-MINUS'], ['.', 'FULL STOP'], ['/', 'SOLIDUS'],
  [':', 'COLON'], [';', 'SEMICOLON'], ['<', 'LESS-THAN SIGN'], ['=', 'EQUALS SIGN'], ['>', 'GREATER-THAN SIGN'],
  ['?', 'QUESTION MARK'], ['@', 'COMMERCIAL AT'], ['[', 'LEFT SQUARE BRACKET'], ['\\', 'REVERSE SOLIDUS'],
  [']', 'RIGHT SQUARE BRACKET'], ['^', 'CIRCUMFLEX ACCENT'], ['_', 'LOW LINE'], ['`', 'GRAVE ACCENT'],
  ['{', 'LEFT CURLY BRACKET'], ['|', 'VERTICAL LINE'], ['}', 'RIGHT CURLY BRACKET'], ['~', 'TILDE'],
];

const DIGITS = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];

/** Formal aliases by code point: U+0000–U+001F, then SP (U+0020) and U+007F. */
const ALIASES: readonly (readonly [number, string])[] = [
  [0x00, 'NULL|NUL'], [0x01, 'START OF HEADING|SOH'], [0x02, 'START OF TEXT|STX'], [0x03, 'END OF TEXT|ETX'],
  [0x04, 'END OF TRANSMISSION|EOT'], [0x05, 'ENQUIRY|ENQ'], [0x06, 'ACKNOWLEDGE|ACK'], [0x07, 'ALERT|BEL'],
  [0x08, 'BACKSPACE|BS'], [0x09, 'CHARACTER TABULATION|HORIZONTAL TABULATION|HT|TAB'],
  [0x0a, 'LINE FEED|NEW LINE|END OF LINE|LF|NL|EOL'], [0x0b, 'LINE TABULATION|VERTICAL TABULATION|VT'],
  [0x0c, 'FORM FEED|FF'], [0x0d, 'CARRIAGE RETURN|CR'], [0x0e, 'SHIFT OUT|LOCKING-SHIFT ONE|SO'],
  [0x0f, 'SHIFT IN|LOCKING-SHIFT ZERO|SI'], [0x10, 'DATA LINK ESCAPE|DLE'], [0x11, 'DEVICE CONTROL ONE|DC1'],
  [0x12, 'DEVICE CONTROL TWO|DC2'], [0x13, 'DEVICE CONTROL THREE|DC3'], [0x14, 'DEVICE CONTROL FOUR|DC4'],
  [0x15, 'NEGATIVE ACKNOWLEDGE|NAK'], [0x16, 'SYNCHRONOUS IDLE|SYN'], [0x17, 'END OF TRANSMISSION BLOCK|ETB'],
  [0x18, 'CANCEL|CAN'], [0x19, 'END OF MEDIUM|EOM'], [0x1a, 'SUBSTITUTE|SUB'], [0x1b, 'ESCAPE|ESC'],
  [0x1c, 'INFORMATION SEPARATOR FOUR|FILE SEPARATOR|FS'], [0x1d, 'INFORMATION SEPARATOR THREE|GROUP SEPARATOR|GS'],
  [0x1e, 'INFORMATION SEPARATOR TWO|RECORD SEPARATOR|RS'], [0x1f, 'INFORMATION SEPARATOR ONE|UNIT SEPARATOR|US'],
  [0x20, 'SP'], [0x7f, 'DELETE|DEL'],
];

let byName: Map<string, string> | undefined;

function table(): Map<string, string> {
  if (byName) return byName;
  const m = new Map<string, string>();
  for (const [c, name] of PUNCTUATION) m.set(name, c);
  DIGITS.forEach((d, i) => m.set(`DIGIT ${d}`, String.fromCharCode(0x30 + i)));
  for (let i = 0; i < 26; i++) {
    const letter = String.fromCharCode(0x41 + i);
    m.set(`LATIN CAPITAL LETTER ${letter}`, letter);
    m.set(`LATIN SMALL LETTER ${letter}`, letter.toLowerCase());
  }
  for (const [cp, names] of ALIASES) for (const name of names.split('|')) m.set(name, String.fromCharCode(cp));
  return (byName = m);
}

/** The ASCII character `name` names (any ASCII case), or undefined when it names none of them. */
export function asciiCharByName(name: string): string | undefined {
  return table().get(name.replace(/[a-z]/g, (c) => c.toUpperCase()));
}

/** Every name and alias this table knows, with its character (for the tests). */
export function asciiCharNames(): ReadonlyMap<string, string> {
  return table();
}
