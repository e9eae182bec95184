/** The server version, for the API document and /healthz; a test keeps it equal to package.json's. */
export const version = '0.1.0'
