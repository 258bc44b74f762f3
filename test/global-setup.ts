import { provisionTestTools, publishTestTools } from './support/test-tools.ts';

/**
 * Runs once before any test file: finds or provisions the real components the tests need and puts
 * them first on PATH. A tool that cannot be provided stops the whole run with one message.
 */
export default function setup(): void {
  publishTestTools(provisionTestTools((line) => console.log(`[test-tools] ${line}`)));
}
