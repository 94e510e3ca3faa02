-- A wrk script that walks a form journey the way a person does, one connection per thread:
-- GET the first form, fill every field, POST, follow each 303, and so on until a page
-- whose path holds the finish marker. It reports each journey's time and the time of
-- the POST that sent the response (the one answered by a redirect to the finish page).
--
-- wrk -t N -c N -s journey.lua URL -- START_PATH FINISH_MARKER [UPLOAD_FILE]

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local clock_buffer = ffi.new("bench_timespec")
local function seconds()
  ffi.C.clock_gettime(1, clock_buffer) -- CLOCK_MONOTONIC
  return tonumber(clock_buffer.tv_sec) + tonumber(clock_buffer.tv_nsec) * 1e-9
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

-- Per thread: read by done() through thread:get().
journeys = {}
steps = {}
sends = {}
failures = {}

local start_path, finish_marker, upload_name, upload_bytes
local cookie, next_request, journey_started, sent_at, sent_method, sent_path
local requests_made = 0

function init(args)
  start_path, finish_marker = args[1], args[2]
  if args[3] then
    local file = assert(io.open(args[3], "rb"))
    upload_bytes = file:read("*a")
    file:close()
    upload_name = args[3]:match("[^/]+$")
  end
end

local function unescape(text)
  text = text:gsub("&#(%d+);", function(code) return string.char(tonumber(code)) end)
  text = text:gsub("&#x(%x+);", function(code) return string.char(tonumber(code, 16)) end)
  return (text:gsub("&quot;", '"'):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function attribute(tag, name)
  local value = tag:match("%s" .. name .. '="([^"]*)"')
  return value and unescape(value)
end

local TYPED = {
  email = "bench@example.org",
  tel = "020 7946 0000",
  number = "1",
  text = "Bench respondent",
}

-- The fields of the first POST form on the page, filled in as a respondent would.
local function fill(page)
  local open, inside = page:match('(<form[^>]-method="post"[^>]*>)(.-)</form>')
  if not open then return nil end
  local fields, chosen, file_field = {}, {}, nil
  for tag in inside:gmatch("<input[^>]*>") do
    local kind = attribute(tag, "type") or "text"
    local name = attribute(tag, "name")
    if name then
      if kind == "hidden" then
        table.insert(fields, { name, attribute(tag, "value") or "" })
      elseif kind == "radio" or kind == "checkbox" then
        if not chosen[name] then
          chosen[name] = true
          table.insert(fields, { name, attribute(tag, "value") or "on" })
        end
      elseif kind == "file" then
        file_field = name
      elseif name ~= "website" and not name:match("_other$") then
        table.insert(fields, { name, TYPED[kind] or TYPED.text })
      end
    end
  end
  for tag in inside:gmatch("<textarea[^>]*>") do
    table.insert(fields, { attribute(tag, "name"), "Written for the benchmark." })
  end
  local button = inside:match("<button[^>]*>")
  if button and attribute(button, "name") then
    table.insert(fields, { attribute(button, "name"), attribute(button, "value") or "" })
  end
  return {
    action = attribute(open, "action"),
    multipart = open:find("multipart/form-data", 1, true) ~= nil,
    fields = fields,
    file_field = file_field,
  }
end

local BOUNDARY = "----bench-boundary-7c1f0e"

local function post_for(form)
  local headers = {}
  local body
  if form.multipart then
    local parts = {}
    for _, field in ipairs(form.fields) do
      table.insert(parts, "--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="'
        .. field[1] .. '"\r\n\r\n' .. field[2] .. "\r\n")
    end
    if form.file_field and upload_bytes then
      table.insert(parts, "--" .. BOUNDARY .. '\r\nContent-Disposition: form-data; name="'
        .. form.file_field .. '"; filename="' .. upload_name
        .. '"\r\nContent-Type: application/pdf\r\n\r\n' .. upload_bytes .. "\r\n")
    end
    table.insert(parts, "--" .. BOUNDARY .. "--\r\n")
    body = table.concat(parts)
    headers["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY
  else
    local pairs_ = {}
    for _, field in ipairs(form.fields) do
      table.insert(pairs_, urlencode(field[1]) .. "=" .. urlencode(field[2]))
    end
    body = table.concat(pairs_, "&")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return { "POST", form.action, headers, body }
end

local function begin_journey()
  cookie = nil
  journey_started = nil
  requests_made = 0
  next_request = { "GET", start_path, {}, nil }
end

local function give_up(why)
  failures[why] = (failures[why] or 0) + 1
  begin_journey()
end

function request()
  if next_request == nil then begin_journey() end
  local method, path, headers, body = next_request[1], next_request[2], next_request[3], next_request[4]
  if cookie then headers["Cookie"] = cookie end
  sent_at = seconds()
  journey_started = journey_started or sent_at
  requests_made = requests_made + 1
  sent_method, sent_path = method, path
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  local finished_at = seconds()
  local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if set_cookie then
    cookie = set_cookie:match("^(session=[^;]*)") or cookie
  end
  if status == 302 or status == 303 then
    local location = (headers["Location"] or headers["location"]):gsub("^https?://[^/]+", "")
    if sent_method == "POST" and location:find(finish_marker, 1, true) then
      table.insert(sends, finished_at - sent_at)
    end
    next_request = { "GET", location, {}, nil }
  elseif status == 200 and sent_path:find(finish_marker, 1, true) then
    table.insert(journeys, finished_at - journey_started)
    table.insert(steps, requests_made)
    begin_journey()
  elseif status == 200 then
    local form = fill(body)
    if form then
      next_request = post_for(form)
    else
      give_up("no form at " .. sent_path)
    end
  else
    give_up("HTTP " .. status .. " at " .. sent_path:gsub("%?.*", ""))
  end
end

local function json_list(values)
  local out = {}
  for _, value in ipairs(values) do table.insert(out, string.format("%.6f", value)) end
  return "[" .. table.concat(out, ",") .. "]"
end

local function json_counts(counts)
  local out = {}
  for key, value in pairs(counts) do
    table.insert(out, string.format("%q:%d", key, value))
  end
  return "{" .. table.concat(out, ",") .. "}"
end

function done(summary, latency, requests)
  local all_journeys, all_steps, all_sends, all_failures = {}, {}, {}, {}
  for _, thread in ipairs(threads) do
    for _, value in ipairs(thread:get("journeys")) do table.insert(all_journeys, value) end
    for _, value in ipairs(thread:get("steps")) do table.insert(all_steps, value) end
    for _, value in ipairs(thread:get("sends")) do table.insert(all_sends, value) end
    for key, value in pairs(thread:get("failures")) do
      all_failures[key] = (all_failures[key] or 0) + value
    end
  end
  io.write("BENCH_JSON ", string.format(
    '{"requests":%d,"duration_s":%.6f,"socket_errors":%d,"journeys":%s,"steps":%s,"sends":%s,'
    .. '"failures":%s,'
    .. '"request_latency_ms":{"p50":%.3f,"p95":%.3f,"p99":%.3f}}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    json_list(all_journeys), json_list(all_steps), json_list(all_sends), json_counts(all_failures),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
