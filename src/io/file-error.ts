// A file the user named could not be read or written, or does not hold what it should.
// The front ends show the message alone (it names the file); it is not a bug of the engine.

export class FileError extends Error {
  override readonly name = 'FileError';
}
