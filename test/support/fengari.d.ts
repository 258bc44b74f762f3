/** fengari ships no types; the tests use a handful of its C-API style functions. */
declare module 'fengari';
