// `node --import ./local/offline-fix/register.mjs serverless.js offline start`: see ./hooks.mjs.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
