/**
 * `loss-inspect`: the command-line face of Loss Inspector.
 *   loss-inspect report <logits>[#key] <target>[#key] [options] [--json]
 *   loss-inspect info <file> [--json]
 *   loss-inspect check <file.py|file.ipynb>... [--json]
 *   loss-inspect dataset <predictions> <references> [options] [--json]
 * Bad input exits with status 2 and one line on stderr; `check` exits 1 on error-level findings.
 */
import { runReport } from './report';
import { runInfo } from './info';
import { runCheck } from './check';
import { runDataset } from './dataset';
import { installZlibInflate } from '../node/zlibInflate';
import { oneLine } from '../protocol/errorLine';

const USAGE = `usage:
  loss-inspect report <logits>[#key] <target>[#key] [options] [--config FILE.json] [--json]
  loss-inspect info <file> [--json] [--max-tensor-bytes N]
  loss-inspect check <file.py|file.ipynb>... [--json]
  loss-inspect dataset <predictions>[#key] <references> [loss options] [--labels 1,2,3] [--ignore-label N] [--out summary.json] [--json]
run 'loss-inspect <command> --help' for the options of a command`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'report':
      return runReport(rest);
    case 'info':
      return runInfo(rest);
    case 'check':
      return runCheck(rest);
    case 'dataset':
      return runDataset(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`loss-inspect: unknown command '${cmd}'\n${USAGE}\n`);
      return 2;
  }
}

if (require.main === module) {
  installZlibInflate();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`loss-inspect: ${oneLine(e)}\n`);
      process.exitCode = 2;
    },
  );
}
