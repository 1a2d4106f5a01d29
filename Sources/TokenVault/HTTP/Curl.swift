internal import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libcurl, for the requests TokenVault makes: form POSTs to a token endpoint, metadata GETs and
/// one JSON POST (dynamic client registration). TLS
/// verification always on, no redirects followed, no proxy for loopback, capped body.
enum Curl {
    /// libcurl, loaded (`dlopen`) and initialised (`curl_global_init`) once, by the first
    /// request: CCurl/shim.h says why it is not linked.
    private static let library: Result<Library, TransportFailure> = Library.load()

    /// The loaded library's function table, filled once and only read after.
    private struct Library: @unchecked Sendable {
        #if canImport(Darwin)
        static let soname = "libcurl.4.dylib"
        #else
        static let soname = "libcurl.so.4"
        #endif

        let api: UnsafePointer<tokenvault_curl_api>

        static func load() -> Result<Library, TransportFailure> {
            let api = UnsafeMutablePointer<tokenvault_curl_api>.allocate(capacity: 1)
            api.initialize(to: tokenvault_curl_api())
            guard tokenvault_curl_load(soname, api) == 0 else {
                let reason = dlerror().map { String(cString: $0) } ?? soname
                api.deallocate()
                return .failure(.notSent("libcurl could not be loaded (\(reason))"))
            }
            guard api.pointee.global_init!(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK else {
                return .failure(.notSent("libcurl could not be initialised"))
            }
            return .success(Library(api: UnsafePointer(api)))
        }

        func easyInit() -> UnsafeMutableRawPointer? { api.pointee.easy_init!() }
        func cleanup(_ handle: UnsafeMutableRawPointer) { api.pointee.easy_cleanup!(handle) }
        func perform(_ handle: UnsafeMutableRawPointer) -> CURLcode { api.pointee.easy_perform!(handle) }

        func append(_ list: UnsafeMutablePointer<curl_slist>?, _ line: UnsafePointer<CChar>) -> UnsafeMutablePointer<curl_slist>? {
            api.pointee.slist_append!(list, line)
        }

        func freeAll(_ list: UnsafeMutablePointer<curl_slist>?) { api.pointee.slist_free_all!(list) }

        func describe(_ code: CURLcode) -> String {
            api.pointee.easy_strerror!(code).map { String(cString: $0) } ?? "libcurl error \(code.rawValue)"
        }
    }

    /// Collects the response body into guarded memory and the few headers we read.
    private final class Sink {
        let body: SecureBuffer
        var count = 0
        var overflowed = false
        var retryAfter: String?
        var location: Secret?
        var wwwAuthenticate: Secret?

        init(limit: Int) { body = SecureBuffer(count: limit) }

        /// One header line as libcurl hands it over (`Name: value\r\n`), read in place: no
        /// line becomes a `String` unless it is `Retry-After`.
        func header(_ line: UnsafeRawBufferPointer) {
            if line.starts(with: "HTTP/".utf8) {
                // A new response (after a 100 Continue): forget the previous one's headers.
                retryAfter = nil; location = nil; wwwAuthenticate = nil
                return
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            var start = colon + 1, end = line.count
            let blanks: [UInt8] = [0x20, 0x09, 0x0D, 0x0A]
            while start < end, blanks.contains(line[start]) { start += 1 }
            while end > start, blanks.contains(line[end - 1]) { end -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
            if Self.named(name, "retry-after") {
                retryAfter = String(decoding: value, as: UTF8.self)
            } else if Self.named(name, "location") {
                location = Secret(copying: value)
            } else if Self.named(name, "www-authenticate") {
                wwwAuthenticate = Secret(copying: value)
            }
        }

        /// Header names compare without regard to ASCII case.
        private static func named(_ name: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
            let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
            return name.count == expected.count && zip(name, expected).allSatisfy { byte, wanted in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == wanted : byte == wanted
            }
        }
    }

    private static let writeBody: tokenvault_curl_data_callback = { data, size, count, context in
        let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard sink.count + length <= sink.body.count else {
            sink.overflowed = true
            return 0
        }
        if length > 0 { (sink.body.base + sink.count).copyMemory(from: data!, byteCount: length) }
        sink.count += length
        return length
    }

    private static let writeHeader: tokenvault_curl_data_callback = { data, size, count, context in
        let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        sink.header(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    /// GETs `url` (metadata documents: nothing secret is sent).
    static func get(url: EndpointURL, limits: HTTPLimits) throws(TransportFailure) -> HTTPResponse {
        try perform(url: url, form: nil, contentType: nil, authorization: nil, limits: limits)
    }

    /// POSTs a JSON document (a client registration, RFC 7591: nothing secret is sent).
    static func postJSON(url: EndpointURL, body: Secret, limits: HTTPLimits) throws(TransportFailure) -> HTTPResponse {
        try perform(url: url, form: body, contentType: "Content-Type: application/json", authorization: nil, limits: limits)
    }

    /// POSTs `form` (already encoded, in guarded memory) to `url`. `authorization` is a whole
    /// `Authorization` header line, if any. libcurl copies header lines and (into its send
    /// buffer) the form body, and receives the answer into its own buffer before handing it to
    /// us; it zeroes none of these. SECURITY.md ("Memory during a refresh") says so.
    static func postForm(
        url: EndpointURL, form: Secret, authorization: Secret?, limits: HTTPLimits
    ) throws(TransportFailure) -> HTTPResponse {
        try perform(
            url: url, form: form, contentType: "Content-Type: application/x-www-form-urlencoded",
            authorization: authorization, limits: limits
        )
    }

    private static func perform(
        url: EndpointURL, form: Secret?, contentType: StaticString?, authorization: Secret?, limits: HTTPLimits
    ) throws(TransportFailure) -> HTTPResponse {
        let curl = try library.get()
        guard let handle = curl.easyInit() else { throw .notSent("libcurl could not create a handle") }
        defer { curl.cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl.freeAll(headers) }
        // A loopback host is pinned to the address that was checked, so that no resolver is
        // asked (EndpointURL says which names and addresses are loopback).
        var pinned: UnsafeMutablePointer<curl_slist>?
        defer { curl.freeAll(pinned) }
        if let entry = url.pinnedAddress { pinned = curl.append(pinned, entry) }
        headers = curl.append(headers, "Accept: application/json")
        if form != nil, let contentType {
            headers = curl.append(headers, UnsafeRawPointer(contentType.utf8Start).assumingMemoryBound(to: CChar.self))
            headers = curl.append(headers, "Expect:")
        }
        if let authorization {
            var line = SecureWriter(capacity: authorization.count + 1)
            line.append(authorization)
            line.append(UInt8(0))
            headers = curl.append(headers, line.buffer.base.assumingMemoryBound(to: CChar.self))
        }

        let sink = Sink(limit: limits.maximumBodyBytes)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var status = CURLE_OK
        // Every option goes through one of these: after the first refusal nothing more is set.
        func set(_ option: CURLoption, _ value: Int) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_long(curl.api, handle, option, value) }
        }
        func set(_ option: CURLoption, _ value: String) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_string(curl.api, handle, option, value) }
        }
        func set(_ option: CURLoption, size value: Int) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_off(curl.api, handle, option, curl_off_t(value)) }
        }
        func set(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_pointer(curl.api, handle, option, value) }
        }
        func set(_ option: CURLoption, _ value: UnsafeMutablePointer<curl_slist>?) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_slist(curl.api, handle, option, value) }
        }
        func set(_ option: CURLoption, _ value: tokenvault_curl_data_callback) {
            if status == CURLE_OK { status = tokenvault_curl_setopt_callback(curl.api, handle, option, value) }
        }
        set(CURLOPT_URL, url.requestURL)
        set(CURLOPT_PROTOCOLS_STR, url.isLoopback ? "http,https" : "https")
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        set(CURLOPT_TIMEOUT_MS, Int(limits.totalTimeout * 1000))
        if url.isLoopback { set(CURLOPT_PROXY, "") }
        if let form {
            set(CURLOPT_POST, 1)
            set(CURLOPT_POSTFIELDSIZE_LARGE, size: form.count)
            form.withUnsafeBytes { bytes in set(CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)) }
        }
        set(CURLOPT_HTTPHEADER, headers)
        if pinned != nil { set(CURLOPT_RESOLVE, pinned) }
        set(CURLOPT_WRITEFUNCTION, writeBody)
        set(CURLOPT_WRITEDATA, context)
        set(CURLOPT_HEADERFUNCTION, writeHeader)
        set(CURLOPT_HEADERDATA, context)
        guard status == CURLE_OK else { throw .notSent("libcurl refused an option: \(curl.describe(status))") }

        // `form` is a parameter, alive until this function returns: its bytes stay put while
        // libcurl sends them.
        let result = withExtendedLifetime((sink, form)) { curl.perform(handle) }
        if sink.overflowed { throw .bodyTooLarge(limit: limits.maximumBodyBytes) }
        guard result == CURLE_OK else {
            var sent: Int = 0
            _ = tokenvault_curl_getinfo_long(curl.api, handle, CURLINFO_REQUEST_SIZE, &sent)
            let reason = curl.describe(result)
            switch result {
            case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
                 CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_UNSUPPORTED_PROTOCOL,
                 CURLE_URL_MALFORMAT:
                throw .notSent(reason)
            default:
                throw sent > 0 ? .noAnswer(reason) : .notSent(reason)
            }
        }
        var code: Int = 0
        _ = tokenvault_curl_getinfo_long(curl.api, handle, CURLINFO_RESPONSE_CODE, &code)
        return HTTPResponse(
            status: code, body: Secret(buffer: sink.body, range: 0..<sink.count),
            retryAfter: sink.retryAfter, location: sink.location,
            wwwAuthenticate: sink.wwwAuthenticate
        )
    }
}
