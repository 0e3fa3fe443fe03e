import PactaAPI

extension APIHandler {
    /// Never reached: `GET /v1/stream` is served by ``StreamRoute`` on the router itself, and `buildParts` leaves
    /// this operation's generated registration out (a test checks that the route answers with the stream). The
    /// runtime writes a streamed body from the connection's own task, so it could not drop a client that reads too
    /// slowly without waiting on that client.
    func streamFeedEvents(_ input: Operations.StreamFeedEvents.Input) async throws -> Operations.StreamFeedEvents.Output {
        throw Problem(
            type: .internalError,
            status: .internalServerError,
            title: "Internal error",
            detail: "The stream is served by its own route."
        )
    }
}
