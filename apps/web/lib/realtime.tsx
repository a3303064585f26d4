'use client';

import {
  createContext,
  useContext,
  useEffect,
  useEffectEvent,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { TServerEvent } from '@portal/contracts';
import { PortalSocket, type TConnectionState } from './socket.ts';

const SocketContext = createContext<PortalSocket | null>(null);

/** Opens the tab's socket once `enabled` (the session cookie exists) and closes it on unmount. */
export function SocketProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const [socket, setSocket] = useState<PortalSocket | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const opened = new PortalSocket();
    opened.start();
    setSocket(opened);
    return () => {
      opened.stop();
      setSocket(null);
    };
  }, [enabled]);
  return <SocketContext value={socket}>{children}</SocketContext>;
}

export function useSocket(): PortalSocket | null {
  return useContext(SocketContext);
}

const noSubscription = () => () => undefined;

export function useConnectionState(): TConnectionState {
  const socket = useSocket();
  return useSyncExternalStore(
    socket ? socket.onStateChange : noSubscription,
    () => socket?.state ?? 'connecting',
    () => 'connecting',
  );
}

/** Calls `handler` with every server event; the latest handler is used without re-subscribing. */
export function useSocketEvent(handler: (event: TServerEvent) => void): void {
  const socket = useSocket();
  const onEvent = useEffectEvent(handler);
  useEffect(() => socket?.subscribe((event) => onEvent(event)), [socket]);
}
