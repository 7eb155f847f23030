"""Lua scripts of the Redis backend that read several documents in one trip, and the
desk's two small read-modify-writes (a lead per conversation, a pool's next turn).

Unlike the outbox scripts (``storage.redis_scripts``) these are given their keys in
``KEYS``, and key prefixes in ``ARGV`` for documents found by id on the way.
"""

from __future__ import annotations

# KEYS: pool members (JSON list), pool cursor. Returns the member whose turn it is.
NEXT_IN_POOL = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local members = cjson.decode(raw)
if #members == 0 then return false end
local turn = redis.call('INCR', KEYS[2])
return members[(turn - 1) % #members + 1]
"""

# KEYS: lead-by-conversation, lead doc, lead id list. ARGV: new id, new doc, id prefix.
# Returns {1, doc} when created, else {0, the existing lead's doc}.
CREATE_LEAD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('RPUSH', KEYS[3], ARGV[1])
  return {1, ARGV[2]}
end
return {0, redis.call('GET', ARGV[3] .. redis.call('GET', KEYS[1]))}
"""

# The document an index (a key holding a document's id) names, or false: one trip, not two.
_FOLLOW_FN = """
local function follow(index, prefix)
  local id = redis.call('GET', index)
  if not id then return false end
  return redis.call('GET', prefix .. id)
end
"""

# KEYS: an index. ARGV: the document keys' prefix (``bot:conv:``).
FOLLOW = _FOLLOW_FN + """
return follow(KEYS[1], ARGV[1])
"""

# KEYS: thread index, message-by-channel-and-ts index, message-by-ts index (of messages
# stored without their channel). ARGV: conversation and message keys' prefixes.
# Returns {conversation doc, message doc}, either false; the message only with the thread.
THREAD_FOR_NEW_MESSAGE = _FOLLOW_FN + """
local conv = follow(KEYS[1], ARGV[1])
if not conv then return {false, false} end
return {conv, follow(KEYS[2], ARGV[2]) or follow(KEYS[3], ARGV[2])}
"""

# KEYS: message-by-channel-and-ts index, message-by-ts index. ARGV: message and
# conversation keys' prefixes. Returns {message doc, false} from the first index, else
# {message doc, its conversation's doc} from the second (whose messages name no channel:
# their conversation's is theirs), else {false, false}.
MESSAGE_BY_SLACK_TS = _FOLLOW_FN + """
local msg = follow(KEYS[1], ARGV[1])
if msg then return {msg, false} end
msg = follow(KEYS[2], ARGV[1])
if not msg then return {false, false} end
local conv_id = cjson.decode(msg)['conversation_id']
return {msg, redis.call('GET', ARGV[2] .. string.format('%d', conv_id))}
"""

# KEYS: a message document. ARGV: the conversation keys' prefix, optionally the customer
# keys' prefix. Returns {message doc, conversation doc} (either may be false), with the
# customer's doc (or false) third when its prefix was given. The customer's key is
# ``str(ConversationKey)``: ``channel:chat_id``, ``inbox/channel:chat_id`` for an inbox
# other than the default (whose documents name none, see ``codec.key_doc``).
MESSAGE_WITH_CONVERSATION = """
local msg = redis.call('GET', KEYS[1])
if not msg then return {false, false} end
local conv_id = cjson.decode(msg)['conversation_id']
local conv = redis.call('GET', ARGV[1] .. string.format('%d', conv_id))
if not ARGV[2] or not conv then return {msg, conv} end
local key = cjson.decode(conv)['key']
local inbox = ''
if key[3] and key[3] ~= 'default' then inbox = key[3] .. '/' end
return {msg, conv, redis.call('GET', ARGV[2] .. inbox .. key[1] .. ':' .. key[2])}
"""

# What ingest reads, in one trip (it then writes with COMMIT, expecting the same values).
# KEYS: the event's seen key, the customer's current-conversation index, the customer
# document, the message id sequence. ARGV: the conversation keys' prefix. Returns {1} for
# an event seen before, else {0, current conversation id or '', its doc or '', customer doc
# or '', a new message id}.
INGEST_READ = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {1} end
local conv = ''
local conv_id = redis.call('GET', KEYS[2]) or ''
if conv_id ~= '' then conv = redis.call('GET', ARGV[1] .. conv_id) or '' end
local customer = redis.call('GET', KEYS[3]) or ''
return {0, conv_id, conv, customer, redis.call('INCR', KEYS[4])}
"""
