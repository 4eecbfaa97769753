// Is a server on 127.0.0.1 answering a path with 200? (Harnesses poll this while a server starts.)
import * as http from "http";

export function answers200(port: number, path: string, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => {
            req.destroy();
            resolve(false);
        });
    });
}
