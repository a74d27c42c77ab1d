/** Each test file's action runs leave their folders until the file ends; then they are removed. */
import { removeRunFolders } from '../testbed/harness.js'

afterAll(() => removeRunFolders())
