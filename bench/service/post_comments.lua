-- wrk script: POST realistic, distinct comment-form bodies to /comments and count the answers.
-- Every request has a unique text (thread id + counter, also spelt in letters), so neither
-- duplicate detection nor the repeat rule fires and every 303 is one stored comment.

local sentences = {
  "The new lighting on the ramps is a real improvement, my kids walk this way to school.",
  "Six months is a long time for eight hangers. Who signed off on the original inspection?",
  "Glad it came in under budget for once. Credit where it is due to the engineers.",
  "Cyclists dismounting on the ramps at rush hour makes sense; it gets crowded up there.",
  "I cross twice a day and the detour added twenty minutes. Very happy to have it back.",
  "Does anyone know if the council published the corrosion survey? I'd like to read it.",
  "The non-slip surface is welcome; the old deck was treacherous in the rain last winter.",
  "Nice to see a local story with actual figures in it. Thanks for the reporting.",
  "Will the same checks be done on the canal bridge? It looks in worse shape to me.",
  "My neighbour fell on those ramps last year, so the lights are long overdue.",
}
local authors = { "Ann Reader", "Priya L.", "Tom from Mill Lane", "J. Okafor", "Maria" }
local articles = { "demo", "1201", "1202", "1203", "1204" }

-- Globals, not locals: done() reads each thread's counters with thread:get().
counter = 0
ok = 0
other = 0
tid = 0
ids = {}  -- comment ids from the 303 Location headers, checked against the database afterwards
local threads = {}
local next_tid = 0

local function urlencode(s)
  return (s:gsub("[^%w%-%._~ ]", function(c) return string.format("%%%02X", string.byte(c)) end)
           :gsub(" ", "+"))
end

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

-- A run id (the script's first argument) keeps texts distinct from earlier runs, such as the
-- warm-up, which would otherwise be answered as duplicates and not stored. The second argument,
-- if any, is the path to post to (bench/service/ceiling_app.py's probes).
function init(args)
  run = args[1] or tostring(os.time())
  path = args[2] or "/comments"
end

-- A number spelt in syllables ("lomi" for 12): the repeat rule folds digits before comparing
-- texts, so readers' distinct comments need distinct letters (bench/readers_words.py).
local syllables = { "ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "ze" }
local function word(n)
  local s = ""
  for d in tostring(n):gmatch("%d") do
    s = s .. syllables[tonumber(d) + 1]
  end
  return s
end

function request()
  counter = counter + 1
  local i = counter
  local text = sentences[(i % #sentences) + 1] .. " (" .. run .. "-" .. tid .. "-" .. i .. ", "
    .. word(tid) .. " " .. word(i) .. ")"
  local body = "comment=" .. urlencode(text)
    .. "&author=" .. urlencode(authors[(i % #authors) + 1])
    .. "&email=" .. urlencode("reader" .. tid .. "-" .. (i % 50) .. "@example.org")
    .. "&url=&comment_post_ID=" .. articles[(i % #articles) + 1]
    .. "&comment_parent=0&submit=Post+Comment"
  return wrk.format("POST", path,
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if status == 303 then
    ok = ok + 1
    local location = headers["Location"] or headers["location"] or ""
    local id = location:match("unapproved=(%d+)") or location:match("#comment%-(%d+)")
    if id then ids[#ids + 1] = id end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local accepted, refused = 0, 0
  local out = os.getenv("BENCH_IDS_FILE")
  local file = out and io.open(out, "w")
  for _, thread in ipairs(threads) do
    accepted = accepted + thread:get("ok")
    refused = refused + thread:get("other")
    if file then
      for _, id in ipairs(thread:get("ids")) do file:write(id, "\n") end
    end
  end
  if file then file:close() end
  io.write(string.format(
    'RESULT {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, '
    .. '"max_ms": %.2f, "status_303": %d, "status_other": %d, "socket_errors": %d, '
    .. '"duration_s": %.2f}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, accepted, refused,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    summary.duration / 1e6))
end
