import { TunnelError } from '../../shared/errors.js';

/**
 * Splits a pasted command line into words as a POSIX shell would for the quoting that ssh
 * command lines use: single quotes, double quotes, backslash escapes. Nothing is expanded:
 * `$HOME`, globs and backticks stay literal text (and ssh's own checks refuse them in hosts).
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new TunnelError('BAD_ARGUMENT', 'unbalanced single quote in the command');
      word += text.slice(i + 1, close);
      i = close;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new TunnelError('BAD_ARGUMENT', 'unbalanced double quote in the command');
      i = j;
      inWord = true;
    } else if (c === '\\') {
      if (text[i + 1] === '\n') i++;
      else if (i + 1 < text.length) {
        word += text[++i];
        inWord = true;
      }
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
