#if canImport(Glibc)
import Glibc
#endif

/// What the figures were measured on.
struct Machine {
    let processors: Int
    let cpu: String
    let kernel: String
    let memory: String
    let fileSystem: String
    let date: String

    init(benchFolder: String) {
        processors = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        cpu = Self.field("model name", in: "/proc/cpuinfo") ?? "unknown"
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        kernel = "Linux \(release) \(machine)"
        memory = Self.field("MemTotal", in: "/proc/meminfo")
            .flatMap { Int($0.split(separator: " ").first ?? "") }
            .map { bytes($0 * 1024) } ?? "unknown"
        fileSystem = Self.fileSystem(of: benchFolder)
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M UTC", &parts)
        date = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func field(_ name: String, in path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            guard text.hasPrefix(name), let colon = text.firstIndex(of: ":") else { continue }
            let value = text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            return String(value.prefix { $0 != "\n" })
        }
        return nil
    }

    /// The type of the file system mounted deepest above `path` (`/proc/mounts`).
    private static func fileSystem(of path: String) -> String {
        guard let file = fopen("/proc/mounts", "r") else { return "unknown" }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var best = (mountPoint: "", type: "unknown")
        while getline(&line, &capacity, file) > 0 {
            let fields = String(cString: line!).split(separator: " ")
            guard fields.count > 2 else { continue }
            let mountPoint = String(fields[1])
            let inside = mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
            if inside, mountPoint.count >= best.mountPoint.count { best = (mountPoint, String(fields[2])) }
        }
        return best.type
    }
}
