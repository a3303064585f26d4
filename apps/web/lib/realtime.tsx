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

interface SocketProviderProps {
  /** 0 while there is no session cookie; every new value (a new cookie: register, login, logout) opens a new socket. */
  epoch: number;
  onSignedOut: () => void;
  children: ReactNode;
}

/** Opens the tab's socket for the current session cookie and closes it on unmount or when the cookie changes. */
export function SocketProvider({ epoch, onSignedOut, children }: SocketProviderProps) {
  const [socket, setSocket] = useState<PortalSocket | null>(null);
  const signedOut = useEffectEvent(onSignedOut);
  useEffect(() => {
    if (epoch === 0) return;
    const opened = new PortalSocket({ onSignedOut: () => signedOut() });
    opened.start();
    setSocket(opened);
    return () => {
      opened.stop();
      setSocket(null);
    };
  }, [epoch]);
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
