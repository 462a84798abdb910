/** Renders an argv for the `header` line the way a POSIX shell (or cmd.exe) would re-read it. */
export function shellQuote(argv: readonly string[], platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return argv.map(quoteWindows).join(' ');
  return argv.map((a) => {
    if (a === '') return '""';
    if (/^[\w@%+=:,./-]+$/.test(a)) return a;
    return `'${a.replace(/'/g, `'"'"'`)}'`;
  }).join(' ');
}

function quoteWindows(arg: string): string {
  let quoted = /[\s"]/.test(arg) || arg === '' ? `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"` : arg;
  // Escape cmd.exe metacharacters and stop %VAR% expansion, as for a batch file.
  quoted = quoted.replace(/[@()^"<>&|]/g, '^$&');
  return quoted.replace(/%/g, '%%');
}
