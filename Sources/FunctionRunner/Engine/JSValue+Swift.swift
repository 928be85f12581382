import CJavaScriptCore

/// Small conversions between JavaScriptCore's C values and Swift, for use on the isolate's thread.
enum JS {
    static func string(_ text: String) -> JSStringRef {
        JSStringCreateWithUTF8CString(text)
    }

    static func swiftString(_ string: JSStringRef) -> String {
        // Written straight into the string's storage: a function's result can be megabytes.
        let capacity = JSStringGetMaximumUTF8CStringSize(string)
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            let written = buffer.withMemoryRebound(to: CChar.self) { JSStringGetUTF8CString(string, $0.baseAddress, capacity) }
            return Swift.max(0, written - 1)
        }
    }

    /// The value as a Swift string (JavaScript's `String(value)`), or nil if that throws.
    static func swiftString(_ context: JSContextRef, _ value: JSValueRef?) -> String? {
        guard let value else { return nil }
        var exception: JSValueRef?
        guard let string = JSValueToStringCopy(context, value, &exception), exception == nil else { return nil }
        defer { JSStringRelease(string) }
        return swiftString(string)
    }

    static func makeString(_ context: JSContextRef, _ text: String) -> JSValueRef {
        let string = JS.string(text)
        defer { JSStringRelease(string) }
        return JSValueMakeString(context, string)
    }

    static func property(_ context: JSContextRef, _ object: JSObjectRef, _ name: String) -> JSValueRef? {
        let key = JS.string(name)
        defer { JSStringRelease(key) }
        return JSObjectGetProperty(context, object, key, nil)
    }

    static func setProperty(_ context: JSContextRef, _ object: JSObjectRef, _ name: String, _ value: JSValueRef) {
        let key = JS.string(name)
        defer { JSStringRelease(key) }
        JSObjectSetProperty(context, object, key, value, JSPropertyAttributes(kJSPropertyAttributeNone), nil)
    }

    static func object(_ context: JSContextRef, _ value: JSValueRef?) -> JSObjectRef? {
        guard let value, JSValueIsObject(context, value) else { return nil }
        return JSValueToObject(context, value, nil)
    }

    /// Calls `function`; a thrown JavaScript exception becomes a Swift error.
    static func call(_ context: JSContextRef, _ function: JSObjectRef, this: JSObjectRef? = nil, _ arguments: [JSValueRef]) throws -> JSValueRef {
        var exception: JSValueRef?
        let optionals: [JSValueRef?] = arguments
        let result = optionals.withUnsafeBufferPointer { args in
            JSObjectCallAsFunction(context, function, this, args.count, args.baseAddress, &exception)
        }
        if let exception { throw JavaScriptError(context: context, exception: exception) }
        guard let result else { throw JavaScriptError(message: "call returned no value", stack: "") }
        return result
    }
}

/// A JavaScript exception, with its message and stack.
public struct JavaScriptError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let stack: String

    public init(message: String, stack: String) {
        self.message = message
        self.stack = stack
    }

    init(context: JSContextRef, exception: JSValueRef) {
        message = JS.swiftString(context, exception) ?? "unknown JavaScript exception"
        if let object = JS.object(context, exception), let stack = JS.property(context, object, "stack"), JSValueIsString(context, stack) {
            self.stack = JS.swiftString(context, stack) ?? ""
        } else {
            stack = ""
        }
    }

    public var description: String { stack.isEmpty ? message : "\(message)\n\(stack)" }
}
