-- POST /api/auth/login with the seeded account's credentials.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"login":"' .. (os.getenv("BENCH_LOGIN") or "benchlogin") .. '","password":"' .. (os.getenv("BENCH_PASSWORD") or "correct horse battery staple") .. '"}'
