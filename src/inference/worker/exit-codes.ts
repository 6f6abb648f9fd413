// Exit codes of the worker process that the supervisor branches on. Kept apart from main.ts so the
// gateway can import them without loading node-llama-cpp.
export const workerExitCodes = { ok: 0, failed: 1, usage: 2, portInUse: 3 } as const;
