// Re-copies the reference data into the repository: the golden loss cases (made by the real PyTorch and
// MONAI) and the tensor corpus (files written by torch, numpy and nibabel, plus hostile ones). The team's
// machines keep the growing master copy in ../shared beside the checkout; a clone without it simply keeps
// the copy it has. Every test, bench and script reads test/fixtures only.
//   node scripts/sync-reference-data.mjs
import { chmodSync, cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const source = resolve(root, '..', 'shared');
const sets = [
  ['golden', join(root, 'test', 'fixtures', 'golden')],
  ['corpus', join(root, 'test', 'fixtures', 'corpus')],
];
if (!existsSync(source)) {
  console.log(`no reference data at ${source}: keeping the copy in test/fixtures`);
  process.exit(0);
}
for (const [name, dest] of sets) {
  const from = join(source, name);
  if (!existsSync(from)) {
    console.error(`missing ${from}`);
    process.exit(1);
  }
  rmSync(dest, { recursive: true, force: true });
  cpSync(from, dest, { recursive: true });
  makeWritable(dest); // the master copy may be read-only; the repository's copy must not be

  console.log(`copied ${from} -> ${dest}`);
}

function makeWritable(p) {
  const st = statSync(p);
  chmodSync(p, st.mode | 0o200);
  if (st.isDirectory()) for (const name of readdirSync(p)) makeWritable(join(p, name));
}
