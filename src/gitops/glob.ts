/**
 * Matches a name against an Argo CD style glob: `*` and `?` within one path segment, `{a,b}`
 * alternatives. Argo CD uses these for `directory.include`, project destinations and whitelists.
 */
export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  let inBraces = false;
  for (const c of pattern) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{' && !inBraces) (re += '(?:', (inBraces = true));
    else if (c === '}' && inBraces) (re += ')', (inBraces = false));
    else if (c === ',' && inBraces) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
