"""Key layout of the Redis backend, and the Lua scripts of its outbox: the job queues,
token buckets and the commit that writes documents and enqueues jobs together.

Each of these scripts takes the key prefix as ``ARGV[1]`` and builds its keys from it, so
they (like the rest of the backend) assume one Redis node, not a cluster. The scripts that
read documents are in ``storage.redis_doc_scripts``.
"""

from __future__ import annotations

import json

from bot.models import JobState

SEQ = "seq"
SEEN = "seen"
LOCK = "lock"
CUSTOMER = "customer"
CONV = "conv"
CONVS = "convs"
CONV_BY_KEY = "convbykey"
CONV_BY_THREAD = "convbythread"
MSG = "msg"
MSGS = "msgs"
MSG_BY_CHANNEL_ID = "msgbychan"
MSG_BY_SLACK_TS = "msgbyslackts"  # a message by its Slack channel and ts
MSG_BY_TS = "msgbyts"  # by ts alone: messages stored without their Slack channel
JOB = "job"
JOB_DEDUPE = "jobdedupe"
QUEUE = "queue"
READY = "ready"
RUNNING = "running"
LIVE = "live"
FAILED = "failed"
BUCKET = "bucket"
LEAD = "lead"
LEADS = "leads"
LEAD_BY_CONV = "leadbyconv"
POOL = "pool"
POOL_CURSOR = "poolcursor"
POOLS = "pools"
SETTINGS = "settings"
DUE = "due"
LEASE = "lease"
LOG = "log"
CACHE = "cache"  # short-lived values (billing context), expiring on their own


def _lua_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Job hashes hold each field of the codec document JSON-encoded, so states compare as
# JSON strings. The scripts never decode and re-encode a whole document: Redis' cjson
# turns [] into {} and keeps only 14 significant digits of a number.
_PREAMBLE = f"""
local P = ARGV[1]
local JOB, QUEUE, READY = {_lua_str(JOB)}, {_lua_str(QUEUE)}, {_lua_str(READY)}
local RUNNING, LIVE, FAILED = {_lua_str(RUNNING)}, {_lua_str(LIVE)}, {_lua_str(FAILED)}
local SEQ, JOB_DEDUPE, BUCKET = {_lua_str(SEQ)}, {_lua_str(JOB_DEDUPE)}, {_lua_str(BUCKET)}
local S_PENDING = {_lua_str(json.dumps(JobState.PENDING.value))}
local S_RUNNING = {_lua_str(json.dumps(JobState.RUNNING.value))}
local S_FAILED = {_lua_str(json.dumps(JobState.FAILED.value))}
local NO_TOKEN = '""'

local function key(...)
  return P .. ':' .. table.concat({{...}}, ':')
end

local function num(x)
  return string.format('%.17g', x)
end

local function queue_name(id, ordering_key)
  if ordering_key == '' then return 'j:' .. id end
  return 'o:' .. ordering_key
end

local function queue_of(id)
  return queue_name(id, cjson.decode(redis.call('HGET', key(JOB, id), 'ordering_key')))
end

local function promote(q)
  local head = redis.call('LINDEX', key(QUEUE, q), 0)
  if head then
    redis.call('ZADD', key(READY), redis.call('HGET', key(JOB, head), 'due_at'), q)
  end
end

-- Plain writes recorded by ``storage.redis_writes.Writes``: 4 arguments each.
local function apply(from, to)
  for i = from, to, 4 do
    local op, k, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    if op == 'SET' and b ~= '' then redis.call('SET', k, a, 'PX', b)
    elseif op == 'ZADD' then redis.call('ZADD', k, a, b)
    else redis.call(op, k, a) end
  end
end

-- ARGV[at]: field count n, then n field names, then per job: dedupe key, ordering key and
-- the n JSON-encoded field values. Returns the job ids (existing ones for duplicates).
local function enqueue(at)
  local n = tonumber(ARGV[at])
  local names = {{}}
  for i = 1, n do names[i] = ARGV[at + i] end
  local ids = {{}}
  for j = at + 1 + n, #ARGV, n + 2 do
    local dedupe = key(JOB_DEDUPE, ARGV[j])
    local id = redis.call('GET', dedupe)
    if not id then
      id = tostring(redis.call('INCR', key(SEQ, JOB)))
      local jk = key(JOB, id)
      for i = 1, n do redis.call('HSET', jk, names[i], ARGV[j + 1 + i]) end
      redis.call('HSET', jk, 'id', id)
      redis.call('SET', dedupe, id)
      local q = queue_name(id, ARGV[j + 1])
      if redis.call('RPUSH', key(QUEUE, q), id) == 1 then promote(q) end
      redis.call('ZADD', key(LIVE), redis.call('HGET', jk, 'created_at'), id)
    end
    ids[#ids + 1] = tonumber(id)
  end
  return ids
end

local function holds_lease(id, token)
  local got = redis.call('HMGET', key(JOB, id), 'state', 'lease_token')
  return got[1] == S_RUNNING and got[2] == token
end

local function release(id)
  local q = queue_of(id)
  redis.call('LPOP', key(QUEUE, q))
  redis.call('ZREM', key(RUNNING), id)
  redis.call('ZREM', key(LIVE), id)
  local dedupe = key(JOB_DEDUPE, cjson.decode(redis.call('HGET', key(JOB, id), 'dedupe_key')))
  if redis.call('GET', dedupe) == id then redis.call('DEL', dedupe) end
  promote(q)
end
"""

# A transaction of plain writes and new jobs, atomic as every script is (redis-py checks
# that each script in a MULTI pipeline is loaded first, an extra round trip every time).
# It is also a compare-and-set: it writes only while each expected key still holds what
# the caller read ('' for a missing key); else it writes nothing and returns false.
# ARGV: prefix, 2e, e pairs (key, expected value), 4m, m writes (see ``apply``), then the
# enqueue arguments. Returns the ids of the jobs.
COMMIT = _PREAMBLE + """
local last = 2 + tonumber(ARGV[2])
for i = 3, last, 2 do
  if (redis.call('GET', ARGV[i]) or '') ~= ARGV[i + 1] then return false end
end
local first = last + 2
last = last + 1 + tonumber(ARGV[last + 1])
apply(first, last)
return enqueue(last + 1)
"""

# A token bucket (a hash of tokens and ts): takes one token when there is one.
# Returns the seconds until one is due (0 when taken).
_TAKE_TOKEN_FN = """
local function take_token(bucket, rate, burst, now)
  local got = redis.call('HMGET', bucket, 'tokens', 'ts')
  local tokens, ts = tonumber(got[1]) or burst, tonumber(got[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  local wait = 0
  if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
  redis.call('HSET', bucket, 'tokens', string.format('%.17g', tokens),
             'ts', string.format('%.17g', now))
  return wait
end
"""

# ARGV: prefix, now, lease, limit, nonce, r, then r limits of 5 arguments each: the JSON
# job kind, bucket name (or prefix), rate, burst, and what completes the name: '0' nothing,
# '1' the ordering key, '2' its scope (after its last '@', see ``bot.models.ordering_scope``).
# A due job of a limited kind is claimed only with a token from its bucket; without one it
# stays queued, due when the token is (as ``retry_job(ran=False)`` would leave it).
# Returns HGETALL replies of the claimed jobs.
CLAIM = _PREAMBLE + _TAKE_TOKEN_FN + """
local now = ARGV[2]
local lease_until = num(tonumber(now) + tonumber(ARGV[3]))
for _, id in ipairs(redis.call('ZRANGEBYSCORE', key(RUNNING), '-inf', now)) do
  redis.call('HSET', key(JOB, id), 'state', S_PENDING, 'lease_token', NO_TOKEN)
  redis.call('ZREM', key(RUNNING), id)
  redis.call('ZADD', key(READY), now, queue_of(id))
end
local limits = {}
for i = 7, 6 + 5 * tonumber(ARGV[6]), 5 do
  limits[ARGV[i]] = {ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4]}
end
-- seconds until the job may run: 0, or it waits for a token of its bucket
local function throttled(jk)
  local limit = limits[redis.call('HGET', jk, 'kind')]
  if not limit then return 0 end
  local name = limit[1]
  if limit[4] ~= '0' then
    local ordering = cjson.decode(redis.call('HGET', jk, 'ordering_key'))
    if limit[4] == '1' then
      name = name .. ordering
    else
      name = name .. (string.match(ordering, '.@([^@]*)$') or '')
    end
  end
  return take_token(key(BUCKET, name), limit[2], limit[3], tonumber(now))
end
local want = tonumber(ARGV[4])
local claimed = {}
-- Throttled queues move to later scores, so looking past ``want`` finds the runnable.
local due = redis.call('ZRANGEBYSCORE', key(READY), '-inf', now, 'LIMIT', 0, want * 4)
for i, q in ipairs(due) do
  if #claimed >= want then break end
  local id = redis.call('LINDEX', key(QUEUE, q), 0)
  if not id then
    redis.call('ZREM', key(READY), q)
  else
    local jk = key(JOB, id)
    local wait = throttled(jk)
    if wait > 0 then
      local at = num(tonumber(now) + wait)
      redis.call('HSET', jk, 'due_at', at)
      redis.call('ZADD', key(READY), at, q)
    else
      redis.call('ZREM', key(READY), q)
      local token = '"' .. ARGV[5] .. '.' .. i .. '"'
      redis.call('HSET', jk, 'state', S_RUNNING, 'lease_token', token)
      redis.call('HINCRBY', jk, 'runs', 1)
      redis.call('ZADD', key(RUNNING), lease_until, id)
      claimed[#claimed + 1] = redis.call('HGETALL', jk)
    end
  end
end
return claimed
"""

# ARGV: prefix, id, JSON lease token, 4m, m writes (see ``apply``), then the enqueue
# arguments of follow-up jobs. The writes and jobs are kept even when the lease was lost.
# Returns 1 when the job was completed, 0 when the lease was lost.
COMPLETE = _PREAMBLE + """
local id = ARGV[2]
local last = 4 + tonumber(ARGV[4])
apply(5, last)
enqueue(last + 1)
if not holds_lease(id, ARGV[3]) then return 0 end
release(id)
redis.call('DEL', key(JOB, id))
return 1
"""

# ARGV: prefix, id, JSON lease token, JSON due_at, JSON error, '1' to count an attempt,
# '0' when the handler never ran (the claim is taken back from ``runs``).
RETRY = _PREAMBLE + """
local id = ARGV[2]
if not holds_lease(id, ARGV[3]) then return 0 end
local jk = key(JOB, id)
redis.call('HSET', jk, 'state', S_PENDING, 'lease_token', NO_TOKEN, 'due_at', ARGV[4],
           'last_error', ARGV[5])
if ARGV[6] == '1' then redis.call('HINCRBY', jk, 'attempts', 1) end
if ARGV[7] == '0' then redis.call('HINCRBY', jk, 'runs', -1) end
redis.call('ZREM', key(RUNNING), id)
redis.call('ZADD', key(READY), ARGV[4], queue_of(id))
return 1
"""

# ARGV: prefix, id, JSON lease token, JSON error. The document stays for get_job.
FAIL = _PREAMBLE + """
local id = ARGV[2]
if not holds_lease(id, ARGV[3]) then return 0 end
local jk = key(JOB, id)
redis.call('HSET', jk, 'state', S_FAILED, 'lease_token', NO_TOKEN, 'last_error', ARGV[4])
redis.call('HINCRBY', jk, 'attempts', 1)
redis.call('SADD', key(FAILED), id)
release(id)
return 1
"""

# KEYS: bucket hash. ARGV: rate, burst, now. Returns the wait in seconds, as a string.
TAKE_TOKEN = _TAKE_TOKEN_FN + """
return string.format('%.17g', take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
                                         tonumber(ARGV[3])))
"""
