/** Flags of ssh(1) that take an argument, for removing one together with its value. */
const WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));

/** The refused option an UNSUPPORTED_OPTION message names: "-X", or an -o keyword like "ForwardX11". */
export function refusedOption(message: string): string | null {
  return /option (-[A-Za-z]|[A-Za-z][A-Za-z0-9]*) is not supported/.exec(message)?.[1] ?? null;
}

/**
 * The command line without `option`: a flag (also inside a cluster such as -NX) with its value
 * if it takes one, or an -o Keyword (either "-o Key=v", "-oKey=v" or "-o 'Key v'"). Words are
 * split on blanks outside quotes, which is all a pasted ssh command needs here.
 */
export function removeOption(command: string, option: string): string {
  const words = command.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? [];
  const out: string[] = [];
  const keyword = option.startsWith('-') ? null : option.toLowerCase();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (keyword) {
      const inline = /^-o(.+)$/.exec(w);
      const value = w === '-o' ? words[i + 1] : inline?.[1];
      if (value !== undefined && value.replace(/^['"]/, '').toLowerCase().startsWith(keyword)) {
        if (w === '-o') i++;
        continue;
      }
      out.push(w);
      continue;
    }
    const letter = option.slice(1);
    if (/^-[A-Za-z]+$/.test(w) && w.includes(letter)) {
      const rest = w.slice(1).replace(letter, '');
      if (rest) out.push(`-${rest}`);
      if (WITH_ARGUMENT.has(letter) && w.endsWith(letter)) i++;
      continue;
    }
    out.push(w);
  }
  return out.join(' ');
}
