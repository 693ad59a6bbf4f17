// Writes a segmentation-like pair (float32 logits `[B, C, X, Y, Z]`, int64 labels `[B, 1, X, Y, Z]`) as .npy
// files: labels in blocks, logits favouring the label (≈ 90 % right) with noise. Run as a child process
// (`node --import tsx segPair.ts out/logits.npy out/labels.npy B C X Y Z`) so the caller's heap holds none of
// the arrays — a later GC of them would show up as a main-thread stall in the harness that measures those.
import { writeFileSync } from 'node:fs';
import { npyBytes } from './npyWrite';
import { rng } from './random';

export function writeSegPair(logitsPath: string, labelsPath: string, [B, C, X, Y, Z]: number[]): void {
  const S = X! * Y! * Z!;
  const rand = rng(1234);
  const labels = new BigInt64Array(B! * S);
  const logits = new Float32Array(B! * C! * S);
  for (let b = 0; b < B!; b++) {
    for (let i = 0; i < S; i++) {
      const x = Math.floor(i / (Y! * Z!));
      const y = Math.floor(i / Z!) % Y!;
      const cls = (Math.floor(x / 12) + Math.floor(y / 12) * 3 + b) % C!;
      labels[b * S + i] = BigInt(cls);
      const predicted = rand() < 0.9 ? cls : Math.floor(rand() * C!);
      for (let c = 0; c < C!; c++) logits[(b * C! + c) * S + i] = (c === predicted ? 3 : 0) + (rand() - 0.5) * 2;
    }
  }
  writeFileSync(logitsPath, npyBytes('float32', [B!, C!, X!, Y!, Z!], logits));
  writeFileSync(labelsPath, npyBytes('int64', [B!, 1, X!, Y!, Z!], labels));
}

if (require.main === module) {
  const [l, t, ...dims] = process.argv.slice(2);
  writeSegPair(l!, t!, dims.map(Number));
}
