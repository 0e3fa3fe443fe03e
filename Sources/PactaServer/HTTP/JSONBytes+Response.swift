import HTTPTypes
import Hummingbird
import NIOCore

extension JSONBytes {
    /// A direct route's 200 answer: `bytes` sent as the generated operations send JSON, with the entity tag.
    static func response(_ bytes: [UInt8], etag: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .eTag: etag],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
