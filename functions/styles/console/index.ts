import type { StyleDefinition } from '../style';

/**
 * The deliveries console (issue 19 item 4): a static page that lists, shows and replays deliveries through the
 * deliveries API on the same origin, with the caller's own API key. Not a webhook style: it has no registrations
 * and no needs (no table, no engine): its handler serves three fixed files, so its role can touch nothing.
 */
export const consoleStyle: StyleDefinition = {
  name: 'console',
  registrations: [],
  handlers: [
    {
      name: 'console',
      description: 'Deliveries console: the static page at /console (HTML, its script and its stylesheet)',
      needs: [],
      routes: [
        { method: 'GET', path: '/console' },
        { method: 'GET', path: '/console/console.js' },
        { method: 'GET', path: '/console/console.css' },
      ],
      pipeline: ['answer'],
    },
  ],
};
