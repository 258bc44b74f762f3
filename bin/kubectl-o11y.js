#!/usr/bin/env node
// kubectl discovers plugins named kubectl-<name> on PATH: `kubectl o11y check` runs this file.
import './o11y.js';
