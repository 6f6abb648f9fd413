-- wrk script: POST a JSON body from $BODY_FILE with a bearer key from $KEY (may be empty).
local f = io.open(os.getenv("BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("KEY")
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end

done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"errors\":%d,\"non2xx\":%d,\"seconds\":%f,\"p50\":%f,\"p90\":%f,\"p99\":%f}\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
