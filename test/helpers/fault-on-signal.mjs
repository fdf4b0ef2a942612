// Loaded with NODE_OPTIONS=--import into a spawned CLI: SIGUSR2 throws from a timer, as a bug in
// an event handler would, so tests can watch what the process does with an internal error.
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('injected fault');
  });
});
