// Standalone process entry for the worker, used by the supervisor when no CLI entry is given:
// `node src/inference/worker/entry.ts --model PATH ...`.
import { runWorker } from './main.ts';

const code = await runWorker(process.argv.slice(2));
// node-llama-cpp may keep native handles alive after dispose; the worker's life ends here.
process.exit(code);
