import { run } from './main.js'

// The runner's entry point; run() catches and reports its own errors.
void run()
