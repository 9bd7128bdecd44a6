#!/usr/bin/env node
import { createProgram } from './program.js';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Config and input errors already say what is wrong; a stack trace would bury it.
    console.error(`sluice: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
