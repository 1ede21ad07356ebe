-- wrk: one small OpenAI chat completion per request, with the demo client key.
wrk.method = "POST"
wrk.body = '{"model":"mini","messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-client-key"
