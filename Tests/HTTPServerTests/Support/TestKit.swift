// The shared test kit (Sources/HTTPServerTesting), visible in every file of this target without its own import.
@_exported import HTTPServerTesting
