// Entry of the single-file executable (`bun build --compile`, scripts/build-executable.js). Bun
// records the build machine's paths in the executable, so the addon and the launcher are found from
// where the executable itself is at run time: <prefix>/bin/tsrunc beside <prefix>/libexec/tsrunc/,
// as `scripts/install.sh` lays them out and the build does in dist/.
import { path } from './sys/path';
import { main } from './cli';
import { setNativeDir } from './sys/native-module';

setNativeDir(path.join(path.dirname(process.execPath), '..', 'libexec', 'tsrunc'));
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
