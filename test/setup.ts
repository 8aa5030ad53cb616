// Any process warning (deprecation, experimental API, unhandled rejection) fails the suite.
process.on('warning', (warning) => {
  throw warning;
});
