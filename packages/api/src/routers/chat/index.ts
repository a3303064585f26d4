import { router } from '../../trpc.ts';
import { blockChat } from './block-chat.ts';
import { endChat } from './end-chat.ts';
import { getChat } from './get-chat.ts';
import { listChats } from './list-chats.ts';
import { listMessages } from './list-messages.ts';
import { reportChat } from './report-chat.ts';
import { sendMessage } from './send-message.ts';

export const chatRouter = router({
  list: listChats,
  get: getChat,
  messages: listMessages,
  send: sendMessage,
  end: endChat,
  report: reportChat,
  block: blockChat,
});
