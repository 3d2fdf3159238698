// How the generated config validator (scripts/build-validators.js) tests the schema's "pattern"s.
// The patterns every config meets (no NUL in a string, an absolute path, NAME=VALUE, device access)
// are tested by hand: compiling a regular expression costs a command that lives a few
// milliseconds more than the test itself (docs/performance.md), and create validates every config.
// Any other pattern stays a RegExp, made when first used (most configs never meet one: making
// them all as the validator loads cost a create 0.09 ms). schemaPattern's own source is put into the generated code, so
// it must use nothing from outside its body. test/unit/schema-patterns.test.ts checks each hand test
// against the RegExp it stands for.
'use strict';

function schemaPattern(pattern, flags) {
  const noNul = (s) => s.indexOf('\u0000') < 0;
  switch (pattern) {
    case '^[^\\u0000]*$': return { test: (s) => noNul(s) };
    case '^[^\\u0000]+$': return { test: (s) => s.length > 0 && noNul(s) };
    case '^/[^\\u0000]*$': return { test: (s) => s[0] === '/' && noNul(s) };
    // NAME=VALUE: the first "=" after at least one character, no NUL anywhere.
    case '^[^=\\u0000]+=[^\\u0000]*$': return { test: (s) => s.indexOf('=') > 0 && noNul(s) };
    case '^[rwm]+$': return {
      test: (s) => {
        for (let i = 0; i < s.length; i++) if (s[i] !== 'r' && s[i] !== 'w' && s[i] !== 'm') return false;
        return s.length > 0;
      },
    };
    default: {
      let regExp;
      return { regExp: true, test: (s) => (regExp = regExp || new RegExp(pattern, flags)).test(s) };
    }
  }
}

module.exports = { schemaPattern };
